"""Web maps and print layouts of wangge (added by later issues)."""
