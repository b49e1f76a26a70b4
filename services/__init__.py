"""The L2C services: leads, deals, billing (command side), insights (read side), gateway."""
