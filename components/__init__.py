"""The reusable ComponentResources and their helpers: each component validates typed Args and parents every child."""
