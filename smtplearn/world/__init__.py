"""smtplearn.world: a small internet of mail on loopback (DNS, relays, queues, authentication)."""
