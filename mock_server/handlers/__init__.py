"""One module per Novu controller. A handler reads its arguments, makes one store call, returns data."""
