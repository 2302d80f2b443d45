/**
 * The platform ids the bot's messages carry (InboundMessage.platform): statuses, policies and admins are
 * keyed by them. The WeCom self-built app and the WeCom AI bot both ask as 'wecom' (one organisation, one
 * UserID). A new platform adds its id here, in the same change that adds its folder and its line in
 * adapters/index.ts. Nothing is imported here, so src/ may read it without loading any adapter.
 */
export const PLATFORM_IDS: readonly string[] = ['wecom', 'dingtalk', 'feishu', 'sandbox'];
