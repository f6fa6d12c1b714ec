"""Output: the terminal report, chart data, print charts and PDF reports."""
