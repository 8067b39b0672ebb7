// Zod probes `new Function` to compile validators; the dashboard's CSP forbids eval. Imported
// before anything that defines a schema (module evaluation follows import order).
import { config } from 'zod';

config({ jitless: true });
