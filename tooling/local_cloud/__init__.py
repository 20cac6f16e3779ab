"""The pipeline's ingest path on LocalStack: start the emulator, deploy what the program registers."""
