"""The office staff web console (issue 15): accounts, pages, charts and exports."""
