"""Storage of digitized documents (arrives with the digitization issue)."""
