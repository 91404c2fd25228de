"""The backend seam: the interface a network implements, its typed options, discovery."""
