"""Policy files (`policies/*.yaml`) and the engine of the security guardian's gate."""
