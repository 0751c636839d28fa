"""Reading, checking and compiling the programme's content files (content/)."""
