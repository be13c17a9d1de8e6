"""What a run records besides history rows: metric definitions, summary, arrays, saved
files, forks and alerts."""
