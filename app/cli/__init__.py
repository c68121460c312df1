"""The command-line front ends: shared options and one module per subcommand."""
