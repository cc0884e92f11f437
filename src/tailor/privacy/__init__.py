"""Privacy plumbing shared by the build and the Python readers: the pseudonymization salt's handling."""
