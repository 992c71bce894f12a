"""The test suite, one package per package of polls_site plus hostile/ and faults/."""
