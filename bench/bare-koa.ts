/**
 * The baseline of bench/load.ts: a bare Koa 3 app with @koa/router whose only work is the minimum
 * any callback route does — route the POST, read the raw body (raw-body, 1 MB limit, like
 * adapters/http.ts), answer 200 with an empty body. It mounts the bot's two callback paths so the
 * load generator can send it exactly the same requests it sends the bot.
 *
 * Run by bench/load.ts as its own process: `PORT=<port> node --import tsx bench/bare-koa.ts`
 * (listens on 127.0.0.1:PORT; GET /healthz answers 200 for the readiness poll).
 */
import Koa from 'koa';
import Router from '@koa/router';
import getRawBody from 'raw-body';

const port = Number(process.env.PORT);
if (!Number.isInteger(port) || port <= 0) throw new Error('bench/bare-koa.ts: set PORT to a free TCP port');

const app = new Koa();
const router = new Router();
const receive = async (ctx: Koa.Context): Promise<void> => {
  await getRawBody(ctx.req, { limit: 1024 * 1024, length: ctx.request.length });
  ctx.status = 200;
  ctx.body = '';
};
router.post('/wecom/callback', receive);
router.post('/dingtalk/callback', receive);
router.get('/healthz', (ctx) => {
  ctx.body = { status: 'ok' };
});
app.use(router.routes());
app.use(router.allowedMethods());
const server = app.listen(port, '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
