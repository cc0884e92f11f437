"""One module per `tailor` subcommand. Each defines `register(subparsers)`, which adds its parser and sets
`func` to a callable taking the parsed args and returning an exit code. Keep imports of heavy libraries
inside the function so `tailor --help` stays fast."""
