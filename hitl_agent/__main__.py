"""``python -m hitl_agent``: the same as the ``hitl-agent`` command."""

from hitl_agent.cli.main import main

if __name__ == "__main__":
    main()
