-- Issue 20, item 5 (trust): what the footer tells a shopper about the shop, and the pages it links
-- to (shipping, returns, privacy, terms). Managers edit both in the admin (/admin/shop-info), every
-- change audited; the storefront reads them with the catalog (a change bumps the catalog version).

-- One row: how to reach the shop, where it is, and its registration notice.
--   hotline           E.164 (domain::phone), shown in the national format
--   zalo_url          https://zalo.me/…, empty hides the link
--   messenger_url     https://m.me/…, empty hides the link
--   registration_*    the business registration line; empty hides it
--   notice_url        the shop's page on the Ministry of Industry and Trade's register
--                     (online.gov.vn); when set, the footer shows "Đã thông báo Bộ Công Thương"
CREATE TABLE shop_info (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  hotline TEXT NOT NULL,
  email TEXT NOT NULL,
  zalo_url TEXT NOT NULL DEFAULT '',
  messenger_url TEXT NOT NULL DEFAULT '',
  address_vi TEXT NOT NULL,
  address_en TEXT NOT NULL,
  registration_vi TEXT NOT NULL DEFAULT '',
  registration_en TEXT NOT NULL DEFAULT '',
  notice_url TEXT NOT NULL DEFAULT '',
  updated_at INTEGER NOT NULL DEFAULT (unixepoch())
);

INSERT INTO shop_info (id, hotline, email, zalo_url, messenger_url, address_vi, address_en, registration_vi, registration_en, notice_url) VALUES (
  1, '+842838241234', 'hotro@vestify.vn', 'https://zalo.me/842838241234', 'https://m.me/vestify.vn',
  '12 Lê Thánh Tôn, Phường Bến Nghé, Quận 1, TP. Hồ Chí Minh',
  '12 Le Thanh Ton Street, Ben Nghe Ward, District 1, Ho Chi Minh City, Vietnam',
  'Công ty TNHH Vestify · Mã số doanh nghiệp 0312345678 do Sở Kế hoạch và Đầu tư TP. Hồ Chí Minh cấp ngày 01/03/2024',
  'Vestify Co., Ltd · Enterprise code 0312345678, issued by the Ho Chi Minh City Department of Planning and Investment on 1 Mar 2024',
  '');

-- The policy pages, one row each; the body is plain text: a blank line starts a paragraph, a line
-- starting with "- " is a list item (views::info_page). No HTML is stored or rendered from here.
CREATE TABLE shop_pages (
  slug TEXT PRIMARY KEY CHECK (slug IN ('shipping', 'returns', 'privacy', 'terms')),
  title_vi TEXT NOT NULL CHECK (length(title_vi) BETWEEN 1 AND 120),
  title_en TEXT NOT NULL CHECK (length(title_en) BETWEEN 1 AND 120),
  body_vi TEXT NOT NULL CHECK (length(body_vi) <= 20000),
  body_en TEXT NOT NULL CHECK (length(body_en) <= 20000),
  updated_at INTEGER NOT NULL DEFAULT (unixepoch())
);

INSERT INTO shop_pages (slug, title_vi, title_en, body_vi, body_en) VALUES
('shipping', 'Chính sách giao hàng', 'Shipping',
'Vestify giao hàng toàn quốc qua GHN, GHTK, Viettel Post và VNPost.

- Nội thành TP. Hồ Chí Minh và Hà Nội: 1–2 ngày làm việc.
- Các tỉnh, thành khác: 2–5 ngày làm việc.
- Phí giao hàng hiện ở trang thanh toán trước khi bạn đặt hàng, theo vùng và cân nặng của đơn.

Đơn được đóng gói trong ngày làm việc nếu đặt trước 15:00. Khi đơn được giao cho hãng vận chuyển, bạn nhận email kèm mã vận đơn và có thể theo dõi đơn ở trang "Tra cứu đơn hàng".

Thanh toán khi nhận hàng (COD): bạn được xem hàng trước khi trả tiền, nhưng không thử mặc khi người giao đang chờ.',
'Vestify delivers nationwide with GHN, GHTK, Viettel Post and VNPost.

- Inner Ho Chi Minh City and Hanoi: 1–2 working days.
- Other provinces and cities: 2–5 working days.
- The delivery fee is shown at checkout before you order, by region and parcel weight.

Orders placed before 15:00 are packed the same working day. When the carrier has your parcel you get an email with its tracking number, and you can follow it on the "Find your order" page.

Cash on delivery: you may look at the goods before paying, but not try them on while the courier waits.'),
('returns', 'Đổi trả trong 30 ngày', '30-day returns',
'Bạn có 30 ngày kể từ ngày nhận hàng để đổi size, đổi màu hoặc trả hàng.

- Sản phẩm còn nguyên tem, nhãn, chưa giặt và chưa qua sử dụng.
- Đổi size hoặc màu: miễn phí một lần cho mỗi đơn.
- Trả hàng: Vestify hoàn tiền trong 7 ngày làm việc sau khi nhận lại hàng, về đúng phương thức bạn đã thanh toán (đơn COD: chuyển khoản vào tài khoản bạn cung cấp).
- Sản phẩm lỗi hoặc giao nhầm: Vestify chịu toàn bộ phí gửi lại.

Để đổi trả, gọi hotline hoặc nhắn Zalo kèm mã đơn hàng; chúng tôi gửi hướng dẫn và mã gửi hàng cho bạn.',
'You have 30 days from delivery to change the size or colour, or to return an item.

- Items must have their tags and labels, unwashed and unworn.
- A size or colour exchange is free once per order.
- Returns: Vestify refunds within 7 working days of receiving the item, to the way you paid (cash on delivery orders: by bank transfer to the account you give us).
- Faulty or wrong items: Vestify pays all return postage.

To start a return, call the hotline or message us on Zalo with your order number; we send you the instructions and a shipping code.'),
('privacy', 'Chính sách bảo mật', 'Privacy policy',
'Vestify chỉ thu thập thông tin cần để giao hàng và chăm sóc bạn: họ tên, số điện thoại, email, địa chỉ giao hàng và lịch sử đơn hàng.

- Thông tin được dùng để xử lý đơn, giao hàng, hoàn tiền và trả lời câu hỏi của bạn.
- Vestify chỉ chia sẻ thông tin với hãng vận chuyển và cổng thanh toán, trong phạm vi cần để hoàn tất đơn hàng.
- Vestify không lưu số thẻ thanh toán; việc thanh toán do cổng thanh toán xử lý.
- Bạn có thể tải về hoặc xoá tài khoản của mình trong trang Tài khoản.

Chính sách này tuân theo Nghị định 13/2023/NĐ-CP về bảo vệ dữ liệu cá nhân. Mọi câu hỏi, xin gửi về email hỗ trợ của cửa hàng.',
'Vestify collects only what it needs to deliver and look after you: your name, phone number, email, delivery address and order history.

- We use it to process orders, deliver them, refund and answer your questions.
- We share it only with carriers and payment providers, as far as needed to complete your order.
- We never store card numbers; payments are handled by the payment provider.
- You can download or delete your account from the Account page.

This policy follows Decree 13/2023/ND-CP on personal data protection. Please send any question to the shop''s support email.'),
('terms', 'Điều khoản sử dụng', 'Terms of use',
'Khi đặt hàng tại Vestify, bạn đồng ý với các điều khoản sau.

- Giá bán đã gồm thuế GTGT. Giá và khuyến mãi có thể thay đổi, nhưng đơn đã đặt giữ nguyên giá lúc đặt.
- Đơn hàng được xác nhận khi Vestify gửi email xác nhận. Vestify có thể huỷ đơn khi hết hàng và hoàn lại toàn bộ số tiền đã trả.
- Hình ảnh sản phẩm được chụp thật; màu sắc có thể chênh lệch nhẹ theo màn hình.
- Đổi trả và giao hàng theo các chính sách được đăng trên trang này.

Mọi tranh chấp được giải quyết trên tinh thần thương lượng; nếu không thành, theo pháp luật Việt Nam.',
'By ordering from Vestify you agree to these terms.

- Prices include VAT. Prices and offers may change, but an order keeps the prices it was placed at.
- An order is confirmed when Vestify sends the confirmation email. Vestify may cancel an order when an item is out of stock, and then refunds everything paid.
- Product photos are real; colours may look slightly different on your screen.
- Returns and delivery follow the policies published on this site.

Disputes are settled by negotiation first and otherwise under the laws of Vietnam.');
