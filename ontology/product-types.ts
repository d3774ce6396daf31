/**
 * A starter set of DFC product types (`dfc-pt:`), with their `skos:broader` links.
 *
 * Enough for the examples and for type queries that roll up the tree; the operator loads the full
 * official taxonomy with `maillon taxonomy load productTypes.json`.
 *
 * @packageDocumentation
 */

/**
 * `[local name, broader local name | null, English label, French label]` for each starter product type. The
 * French labels are this project's own (French users search and filter in French: `type=légume`).
 */
export const STARTER_PRODUCT_TYPES: readonly (readonly [string, string | null, string, string])[] = [
  ['vegetable', null, 'vegetable', 'légume'],
  ['tomato', 'vegetable', 'tomato', 'tomate'],
  ['round-tomato', 'tomato', 'round tomato', 'tomate ronde'],
  ['cherry-tomato', 'tomato', 'cherry tomato', 'tomate cerise'],
  // Spelled so in the official taxonomy 1.3.0 (the IRI is a fact, typo included).
  ['hierloom-tomato', 'tomato', 'heirloom tomato', 'tomate ancienne'],
  ['salad', 'vegetable', 'salad', 'salade'],
  ['lettuce', 'salad', 'lettuce', 'laitue'],
  ['corn-salad', 'salad', 'corn salad', 'mâche'],
  ['spinach', 'salad', 'spinach', 'épinard'],
  ['cabbage', 'vegetable', 'cabbage', 'chou'],
  ['kale', 'cabbage', 'kale', 'chou kale'],
  ['cauliflower', 'cabbage', 'cauliflower', 'chou-fleur'],
  ['squash', 'vegetable', 'squash', 'courge'],
  ['butternut', 'squash', 'butternut', 'butternut'],
  ['pumpkin', 'squash', 'pumpkin', 'potiron'],
  ['carrot', 'vegetable', 'carrot', 'carotte'],
  ['potato', 'vegetable', 'potato', 'pomme de terre'],
  ['leek', 'vegetable', 'leek', 'poireau'],
  ['onion', 'vegetable', 'onion', 'oignon'],
  ['garlic', 'vegetable', 'garlic', 'ail'],
  ['courgette', 'vegetable', 'courgette', 'courgette'],
  ['beetroot', 'vegetable', 'beetroot', 'betterave'],
  ['radish', 'vegetable', 'radish', 'radis'],
  ['herb', 'vegetable', 'herb', 'herbe aromatique'],
  ['fruit', null, 'fruit', 'fruit'],
  ['apples', 'fruit', 'apples', 'pomme'],
  ['pear', 'fruit', 'pear', 'poire'],
  ['berry', 'fruit', 'berry', 'petit fruit'],
  ['strawberry', 'berry', 'strawberry', 'fraise'],
  ['raspberry', 'berry', 'raspberry', 'framboise'],
  ['dairy-product', null, 'dairy product', 'produit laitier'],
  ['cow-dairy-product', 'dairy-product', 'cow dairy product', 'produit laitier de vache'],
  ['milk', 'cow-dairy-product', 'milk', 'lait'],
  ['butter', 'cow-dairy-product', 'butter', 'beurre'],
  ['natural-yogurt', 'cow-dairy-product', 'natural yogurt', 'yaourt nature'],
  ['goat-dairy-product', 'dairy-product', 'goat dairy product', 'produit laitier de chèvre'],
  ['goat-fresh-cheese', 'goat-dairy-product', 'goat fresh cheese', 'fromage frais de chèvre'],
  ['goat-mature-cheese', 'goat-dairy-product', 'goat mature cheese', 'fromage affiné de chèvre'],
  ['goat-milk', 'goat-dairy-product', 'goat milk', 'lait de chèvre'],
  ['goat-natural-yogurt', 'goat-dairy-product', 'goat natural yogurt', 'yaourt nature de chèvre'],
  ['goat-dairy-dessert', 'goat-dairy-product', 'goat dairy dessert', 'dessert lacté de chèvre'],
  ['bakery', null, 'bakery', 'boulangerie'],
  ['bread', 'bakery', 'bread', 'pain'],
  ['viennoiserie-', 'bakery', 'viennoiserie', 'viennoiserie'],
  ['meat-product', null, 'meat product', 'produit carné'],
  ['egg', 'meat-product', 'egg', 'œuf'],
  ['poultry', 'meat-product', 'poultry', 'volaille'],
  ['chicken', 'poultry', 'chicken', 'poulet'],
  ['local-grocery-store', null, 'local grocery', 'épicerie locale'],
  ['sweet-groceries', 'local-grocery-store', 'sweet groceries', 'épicerie sucrée'],
  ['honey', 'sweet-groceries', 'honey', 'miel'],
  ['jam', 'sweet-groceries', 'jam', 'confiture'],
  ['biscuit', 'sweet-groceries', 'biscuit', 'biscuit'],
  ['savory-groceries', 'local-grocery-store', 'savory groceries', 'épicerie salée'],
  ['oil', 'savory-groceries', 'oil', 'huile'],
  ['grain', 'savory-groceries', 'grain', 'céréale'],
  ['pasta', 'savory-groceries', 'pasta', 'pâtes'],
  ['processed-fruit', 'local-grocery-store', 'processed fruit', 'fruit transformé'],
  ['drink', null, 'drink', 'boisson'],
  ['soft-drink', 'drink', 'soft drink', 'boisson sans alcool'],
  ['fruit-juice', 'soft-drink', 'fruit juice', 'jus de fruit'],
  ['alcoholic-beverage', 'drink', 'alcoholic beverage', 'boisson alcoolisée'],
  ['cider', 'alcoholic-beverage', 'cider', 'cidre'],
  ['beer', 'alcoholic-beverage', 'beer', 'bière'],
  ['wine', 'alcoholic-beverage', 'wine', 'vin'],
  ['inedible', null, 'inedible', 'non alimentaire'],
  ['flower', 'inedible', 'flower', 'fleur'],
  ['plant', 'inedible', 'plant', 'plante'],
];
