"""The staff thread pages: find a thread, close or reopen it, premoderate or slow it down,
correct its title and URL."""
