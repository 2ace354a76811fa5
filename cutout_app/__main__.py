from cutout_app.cli import main

raise SystemExit(main())
