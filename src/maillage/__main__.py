"""``python -m maillage``: the command line, as the ``maillage`` command."""

from maillage.cli.main import main

if __name__ == "__main__":
    main()
