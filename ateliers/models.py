"""E-ateliers (online workshops and interview simulations): built by a later issue."""
