"""What a person, the command line and the scheduler all run. No Flask.."""
