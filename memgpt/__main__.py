from memgpt.cli.app import main

main()
