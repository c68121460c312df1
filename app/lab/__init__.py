"""The subjective lab: viewing-test plans, the runner's session model, and SUREAL-exact opinion analysis."""
