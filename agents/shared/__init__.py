"""What more than one agent needs (agents never import each other): model routing and the
alert's text as the models read it."""
