from zsapp.cli import main

raise SystemExit(main())
