"""Running the project on more than one engine: reading marts from each, and comparing them."""
