"""oncosig.io"""
