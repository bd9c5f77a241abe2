"""The web console: its pages and assets, served by the same Chalice app as the
API. The browser code lives in console/ at the project's root; `make console`
builds it into chalicelib/console/dist/ (git-ignored, packaged with the app)."""
