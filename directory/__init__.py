"""The directory of Parties, their 24/7 contact points and people, users and the audit trail."""
