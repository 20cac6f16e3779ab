"""`python -m usage_report ...`: see usage_report/cli.py."""

from usage_report.cli import main

raise SystemExit(main())
