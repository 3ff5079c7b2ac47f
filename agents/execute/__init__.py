"""Execute: run the actions the guardian allowed or a human approved, once each."""
