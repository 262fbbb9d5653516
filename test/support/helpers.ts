// One import for the worker tests: Stripe events, calls into the Worker,
// customer factories, log capture and the provider stand-in.
export * from "./factories";
export * from "./logs";
export * from "./portal";
export * from "./stand-in";
export * from "./stripe-events";
export * from "./worker";
