"""``python -m gmm_gui``: open the window."""

from gmm_gui.ui.app import main

if __name__ == "__main__":
    raise SystemExit(main())
