//! Rule self-tests.
