"""``python -m loadguard_strava.standin --port 8765 --activities 50``."""

from .cli import main

if __name__ == "__main__":
    main()
