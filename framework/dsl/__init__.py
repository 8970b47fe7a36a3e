"""The symbolic half: grammars, programs and their probabilities."""
