"""Speed and memory benchmark of the whole dbt build at a data scale (`tailor bench`).

`sampler` measures a process tree, `run_results` reads dbt's timings, `floor` times the heaviest steps
without dbt, `report` renders the results and `runner` ties them together.
"""
