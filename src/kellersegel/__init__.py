"""kellersegel: particle systems of Keller–Segel chemotaxis in the plane and their mean-field limits."""

__version__ = "0.1.0"
