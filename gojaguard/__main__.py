"""`python -m gojaguard` runs the same CLI as the `gojaguard` console script."""

from gojaguard.server.cli import main

raise SystemExit(main())
