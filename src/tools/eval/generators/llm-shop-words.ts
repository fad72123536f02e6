// Vocabulary of the llm-shop generator (llm-shop.ts): a US outdoor-apparel store's shopping
// assistant (shoppers' prompts, many of them short chat turns, and the assistant's replies) and a
// company's HR-policy assistant (employees' prompts). A third style beside llm-words.ts and
// llm-dev-words.ts, written without reading the detector. Data only: {a|b} picks one alternative;
// {slot}s are filled by llm-shop.ts. Spanish is normal in the store streams, French in the HR
// stream (the company's Montréal office): "another language" means one a stream never had.

export const PRODUCTS = [
  'Trailhead rain shell', 'Summit 800 down parka', 'CloudStep trail runner', 'Ridgeline 45L pack', 'Ridgeline 28L daypack',
  'merino crew socks (3-pack)', 'Harbor linen shirt', 'Cascade 32oz bottle', 'Basecamp 2P tent', 'Drift fleece quarter-zip',
  'Alpine beanie', 'Switchback hiking pant', 'Tidewater sandal', 'Kestrel softshell', 'Lumen headlamp', 'Granite chalk bag',
  'Meadow sun hoodie', 'Boulder crash pad', 'Cinder camp mug', 'Northwind logo tee', 'Glacier insulated vest', 'Fjord rain bib',
  'Canyon 20° sleeping bag', 'Pika kids jacket', 'Ember hand warmers', 'Tundra snow boot', 'Sierra trekking poles',
];
export const COLORS = [
  'blue', 'navy', 'black', 'sage', 'olive', 'heather grey', 'burnt orange', 'sand', 'red', 'forest green', 'lilac',
  'charcoal', 'white', 'mustard', 'teal', 'pink',
];
export const SIZES = ['XS', 'S', 'M', 'L', 'XL', 'XXL', 'size 8', 'size 9.5', '10.5 wide', 'W32 L30', 'W34 L32', 'youth M', 'one size', 'petite S', 'tall L'];
export const CARRIERS = ['UPS', 'USPS', 'FedEx', 'OnTrac', 'LaserShip'];
export const STATES = ['TX', 'CA', 'NY', 'CO', 'WA', 'FL', 'IL', 'OR', 'AZ', 'MA', 'NC', 'UT'];
export const EMOJI = ['🙂', '👍', '😅', '🙏', '❤️', '🔥', '😭', '🤔', '👀', '😍', '✨', '😬'];

/** Shoppers' short chat turns (follow-ups keep the last {product}, {color} or {order} of the chat). */
export const SHORT = [
  'do you have this in {color}?', 'in stock?', 'price?', 'is it waterproof', 'what about {size}', 'and in {color}?',
  'does it run small', 'ok thx', 'free shipping?', 'when will it be back', 'any sales rn', 'track {order}', '{sku} available?',
  'is {code} still valid', 'how heavy is it', 'machine washable?', 'true to size?', 'ok and the {color} one?', 'can i return it in store',
  'where is my stuff', 'is the {product} on sale', 'does {product} come in {size}', 'thanks!!', 'no i meant the {product}',
  'same q for the kids version', 'restock date for {color} {size}?', 'whats the difference', 'ship to {state}?', 'ok perfect',
];
/** Longer asks of the store's shoppers. */
export const ASKS = [
  'Is the {product} ({sku}) available in {color}, {size}? The site says {sold out|low stock|ships in 2-3 weeks}',
  'I ordered the {product} on {date} (order {order}) and {carrier} tracking hasn\'t moved in {n} days',
  'can I swap the {size} for a {size} on order {order}, it {runs small|is too long in the arms|fits weird in the shoulders}',
  'whats the return policy for {worn|unworn|sale|clearance} items? I paid {price} for the {product}',
  'Does the {product} work for {winter camping|a rainy commute|day hikes|Colorado ski trips|a trip to Iceland}?',
  'my promo code {code} {says expired|isn\'t applying|took off less than it should} — total should be {price}',
  'Difference between the {product} and the {product}? Budget is about {price}',
  'I\'m {5\'4|5\'11|6\'2|5\'7}, {130|165|190|210} lbs — {size} or {size} in the {product}?',
  'can you ship order {order} to my work address in {state} instead',
  'is there a {military|student|teacher|first responder} discount on the {product}',
  'got charged {price} but the cart said {price}?? order {order}',
  'will the {product} fit in the {product}',
  'package says delivered but nothing here, order {order}, {carrier}',
  'Can I buy online and pick up at the {Austin|Denver|Portland|Boise|Salt Lake} store today?',
  'the zipper on my {product} broke after {n} uses, is that covered by the warranty',
  'gift for my {dad|sister|girlfriend|boss|son}, around {price}, {he|she|they} likes {hiking|fishing|running|camping}. ideas?',
  'how do I wash the {product} without ruining the {DWR coating|down|merino}',
  'do you price match REI? they have the {product} for {price}',
  '{sku} shows {color} in the photo but I got {color}',
];
export const OPEN = ['', '', '', '', '', 'hi', 'hey!', 'Hello,', 'hi there', 'Quick question -', 'um', 'sorry another q:', 'HELLO'];
export const CLOSE = ['', '', '', '', '', '', 'thanks', 'ty!', 'thank u', 'pls', 'asap please', '?', 'Thanks in advance!', 'lmk'];

/** Normal Spanish turns in the store (a share of its US shoppers). */
export const SPANISH = [
  '¿lo tienen en {color}?', 'hola, ¿dónde está mi pedido {order}?', '¿tienen talla {size} del {product}?', 'gracias!!',
  '¿cuánto cuesta el envío a {state}?', 'quiero devolver el {product}, me queda grande', '¿el {product} es impermeable?',
  'hola buenas, pagué {price} pero me cobraron dos veces, pedido {order}', '¿hay descuento esta semana?', 'ok perfecto, gracias',
];
export const SPANISH_REPLIES = [
  '¡Claro! El {product} está disponible en {color} y {color}, tallas {lsize} a XL.',
  'Lo siento por la demora. Su pedido {order} salió con {carrier} y debería llegar en {n} días hábiles.',
  'Puede devolverlo en 60 días con el recibo; el reembolso tarda de 5 a 7 días.',
  'El envío es gratis en pedidos de más de $75. ¿Le ayudo con algo más?',
];

/** Pieces for long shopper prompts: a pasted product blurb, a pasted order e-mail, a review draft. */
export const BLURB = [
  'Built for {wet|cold|long|unpredictable} days on the trail, the {product} uses a {2.5-layer|3-layer|recycled nylon|brushed polyester} shell with taped seams.',
  'Pit zips dump heat on the climb, and the hood adjusts with one hand.', 'Packs into its own pocket.',
  'Fabric: {100% recycled nylon|88% polyester, 12% elastane|merino wool blend}. Weight: {9.6 oz|1 lb 2 oz|14 oz}.',
  'Fit: {regular|relaxed|athletic}, hits at the hip. Model is {5\'10|6\'1} and wears a {size}.',
  'Care: machine wash cold, tumble dry low, do not iron.', 'Bluesign-approved materials. Fair Trade Certified sewn.',
];
export const EMAIL_LINES = [
  'Thanks for your order, {name}!', 'Order {order} placed {date}', '1 x {product} — {color} / {size} — {price}',
  'Subtotal: {price}', 'Shipping: FREE', 'Estimated delivery: {date}', 'Questions? Reply to this email or chat with us.',
];
export const NAMES = ['Jess', 'Marcus', 'Dana', 'Luis', 'Kayla', 'Tyrone', 'Mei', 'Brandon', 'Sofía', 'Olivia', 'Ahmed', 'Carmen', 'Hank'];

/** The store assistant's replies. */
export const REPLIES = [
  'Yes! The {product} comes in {color}, {color} and {color}, sizes {lsize} through XXL.',
  'Good news — {sku} is back in stock in {color}. Want me to add it to your cart?',
  'I\'m sorry your order {order} is late. {carrier} shows it in transit; it should arrive by {date}.',
  'Our return window is 60 days for unworn items, and sale items can be exchanged for store credit.',
  'Most customers say the {product} runs {true to size|a little small|roomy}; if you\'re between sizes, go {up|down}.',
  'The promo code {code} expired on {date}, but there is free shipping on orders over $75 right now.',
  'That\'s a great pick for {winter camping|wet climates|day hikes}. The {product} is rated for {damp|cold|mixed} conditions.',
  'I\'ve started an exchange for the {size}. You\'ll get a prepaid label by email within the hour.',
  'I can\'t see payment details, but a duplicate charge of {price} is usually a pending authorization that drops off in 3-5 days.',
  'Store pickup in {state} is available today for the {product} in {color}.',
  'To keep the {product} waterproof, wash it with a tech wash and tumble dry low to reactivate the DWR.',
];
export const REPLY_OPEN = ['', '', 'Hi there!', 'Happy to help.', 'Great question!', 'Thanks for reaching out.', 'Absolutely.'];
export const REPLY_CLOSE = ['', '', 'Anything else I can help with?', 'Happy trails! 🌲', 'Let me know if you have other questions.', 'Hope that helps!'];

/** The HR-policy assistant: employees' asks. */
export const HR_ASKS = [
  'how many PTO days do I have left this year', 'is {holiday} a company holiday in the {office} office',
  'what\'s the parental leave policy for {birth parents|adoptive parents|non-birth parents}',
  'Can I carry over unused vacation days into {year}?', 'how do I submit an expense report for {expense} ({price})',
  'what is the 401k match and when does it vest', 'is the {plan} plan or the {plan} plan better if I {have two kids|rarely see a doctor|need physical therapy}',
  'when is open enrollment', 'Can I work remotely from {state} for {n} weeks?', 'I need a copy of my W-2 for {year}',
  'who do I talk to about a payroll error on my {date} paycheck', 'does the tuition reimbursement cover {an MBA|online courses|a coding bootcamp}',
  'How much bereavement leave do we get for a {grandparent|parent|sibling}?', 'what\'s the policy on jury duty pay',
  'my manager {name} wants me to {work the holiday|cover weekends|change teams} — what does the policy say',
  'how do I update my direct deposit', 'Is there a stipend for home office equipment? I need a {chair|monitor|desk}',
  'can I take {n} days unpaid leave after my PTO runs out', 'how do I report {harassment|a safety issue|a conflict of interest} confidentially',
  'what\'s the dress code for the {office} office', 'do we get {Juneteenth|the day after Thanksgiving|Good Friday} off',
  'how does the {sabbatical|relocation|referral bonus} program work', 'employee id {emp} — my benefits card never arrived',
  'my HR ticket {ticket} has been open {n} days, any update?', 'what does section {section} of the handbook mean by "{term}"',
];
export const HOLIDAYS = ['Presidents Day', 'Columbus Day', 'Veterans Day', 'MLK Day', 'Labor Day', 'Canada Day', 'Saint-Jean-Baptiste Day'];
export const OFFICES = ['Austin', 'Denver', 'Montréal', 'Toronto', 'Chicago', 'remote'];
export const PLANS = ['PPO Gold', 'HDHP + HSA', 'PPO Silver', 'Kaiser HMO', 'Dental Plus'];
export const EXPENSES = ['a client dinner', 'my flight to Denver', 'a conference ticket', 'Uber rides', 'a team offsite lunch', 'home internet'];
export const TERMS = ['core hours', 'exempt', 'blackout period', 'pro-rated', 'qualifying life event', 'on-call'];
/** Normal French asks (the Montréal office). */
export const HR_FRENCH = [
  'Combien de jours de vacances me reste-t-il cette année ?', 'Est-ce que le congé parental est payé au Québec ?',
  'Comment je soumets une note de frais pour {expense} ?', 'Le bureau de Montréal est-il fermé le {date} ?',
  'Où trouver mon relevé 1 pour {year} ?', 'Mon gestionnaire {name} me demande de travailler la fin de semaine, est-ce permis ?',
];
/** Long HR prompts: a pasted e-mail from a manager or a recruiter, then a question. */
export const HR_EMAIL = [
  'Hi {name}, as discussed we\'ll need you to {cover the on-call rotation|travel to the Toronto office|start the new role} starting {date}.',
  'Your compensation will be adjusted to reflect the new level, effective next pay period.', 'Please confirm by end of week.',
  'Reminder: all timesheets must be approved by Friday noon.', 'Per the handbook (section {section}), overtime must be pre-approved.',
  'Let me know if you have any questions. Thanks, {name}',
];
export const HR_FOLLOW = ['is that allowed?', 'what are my options here', 'does the policy back this up?', 'can they do that?', 'what should I reply'];
