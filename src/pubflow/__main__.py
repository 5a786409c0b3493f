"""`python -m pubflow` runs the same CLI as the `pubflow` script."""

from pubflow.cli import main

if __name__ == "__main__":
    main()
