-- Version 4: who can read a place's secret beyond the repository (`client`: a file that
-- ships to browsers or devices; `browser-name`, `log`, `browser-storage`: an exposure
-- rule's finding). NULL for none, and for every place found before version 4.
ALTER TABLE locations ADD COLUMN exposure TEXT
    CHECK (exposure IN ('browser-name', 'client', 'log', 'browser-storage'));
