"""Pure domain rules of the 機器共用 procedure: no Flask, no database, only stdlib and data packages."""
