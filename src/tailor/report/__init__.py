"""`tailor report`: one self-contained, offline HTML page of charts over the built marts."""
