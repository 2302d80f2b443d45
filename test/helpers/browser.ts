/**
 * Browser context options shared by the console's browser tests (playwright-core, Debian's chromium).
 *
 * The admin's browser asks for reduced motion (`prefers-reduced-motion: reduce`), which the console honours by
 * switching antd's animations off (src/console/ui/kit.js REDUCED_MOTION). Under a loaded machine a click inside a
 * popup that was still zooming or sliding in was lost now and then (a popconfirm's OK, a select's option: no request,
 * the dropdown stayed open); without the animations the popup is in place when it is clicked.
 */
export const ADMIN_CONTEXT = { reducedMotion: 'reduce', locale: 'zh-CN' } as const;
