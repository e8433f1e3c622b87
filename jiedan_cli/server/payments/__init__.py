"""Payment providers: the `PaymentProvider` interface and the bundled sandbox."""
