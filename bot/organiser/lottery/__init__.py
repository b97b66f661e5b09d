"""The civic lottery: stratified draws with sortition-algorithms, and the confirmations that follow."""
