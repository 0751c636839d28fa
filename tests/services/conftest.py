"""The service tier: use cases called as the views call them, with an actor, without HTTP."""
